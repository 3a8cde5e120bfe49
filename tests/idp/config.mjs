// oidc-provider configuration for the local IdP: users, clients, keys, storage, the API resource
// and the interaction policy. Everything here is read from oidc-provider 9's own source
// (lib/helpers/defaults.js, lib/helpers/interaction_policy/, lib/models/formats/jwt.js).
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { errors, interactionPolicy } from "oidc-provider";
import { acrValuesSupported, decide, requestedAcr } from "./profiles.mjs";

export const USERS = {
  alice: { password: "wonderland", factors: ["pwd", "otp"], name: "Alice Liddell" },
  bob: { password: "builder", factors: ["pwd"], name: "Bob the Builder" }, // no second factor
  // Subjects no HTTP header can carry exactly (SECURITY G20): not ASCII, or with a space.
  "zoë": { password: "zoetrope", factors: ["pwd", "otp"], name: "Zoë" },
  "zoe smith": { password: "zoetrope", factors: ["pwd", "otp"], name: "Zoe Smith" },
};

export const SPA_CLIENT_ID = "stepup-spa";
export const EDGE_CLIENT_ID = "stepup-edge";
export const EDGE_CLIENT_SECRET = "stepup-edge-secret-for-local-tests-only-0123456789";
export const API_AUDIENCE = "https://api.stepup.test";
export const API_SCOPES = "api:read api:write";

/** The public SPA client: no secret, PKCE (required for every client here, see `pkce`). */
export function spaClient(redirectUris, extra = {}) {
  return {
    client_id: SPA_CLIENT_ID,
    client_name: "stepup demo SPA",
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    redirect_uris: redirectUris,
    ...extra,
  };
}

/** The confidential client the edge worker uses (client_secret_basic). */
export function edgeClient(redirectUris, extra = {}) {
  return {
    client_id: EDGE_CLIENT_ID,
    client_name: "stepup edge guard",
    client_secret: EDGE_CLIENT_SECRET,
    token_endpoint_auth_method: "client_secret_basic",
    grant_types: ["authorization_code", "refresh_token"],
    redirect_uris: redirectUris,
    ...extra,
  };
}

/** One signing key per algorithm the verifier supports; the RSA key comes first (it signs). */
export async function generateSigningKeys() {
  const jwk = async (alg, options) => {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...options });
    const key = await exportJWK(privateKey);
    return { ...key, alg, use: "sig", kid: await calculateJwkThumbprint(key) };
  };
  return [await jwk("RS256"), await jwk("ES256"), await jwk("EdDSA", { crv: "Ed25519" })];
}

/**
 * A Map-backed adapter that outlives provider instances, so sessions, grants and refresh tokens
 * survive `rotateKeys()` (which has to build a new Provider: oidc-provider reads `jwks` once).
 * `onUpsert` lets a profile rewrite a stored payload (Fief's refresh-token level, see below).
 */
export function memoryAdapter(onUpsert = () => {}) {
  const store = new Map();
  const get = (key) => {
    const hit = store.get(key);
    if (hit && hit.expiresAt !== undefined && hit.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return hit?.value;
  };
  const set = (key, value, expiresIn) => store.set(key, {
    value,
    expiresAt: typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined,
  });

  // Revoking a grant removes the tokens issued under it, as oidc-provider's own memory adapter
  // does; an interaction under way (another user signing in in this browser) survives.
  const GRANTABLE = new Set(["AccessToken", "AuthorizationCode", "RefreshToken", "DeviceCode",
    "BackchannelAuthenticationRequest"]);

  return class Adapter {
    constructor(model) { this.model = model; }
    key(id) { return `${this.model}:${id}`; }
    async upsert(id, payload, expiresIn) {
      onUpsert(this.model, payload);
      set(this.key(id), payload, expiresIn);
      if (this.model === "Session") set(`sessionUid:${payload.uid}`, id, expiresIn);
      if (payload.grantId && GRANTABLE.has(this.model)) {
        const members = get(`grant:${payload.grantId}`) ?? [];
        set(`grant:${payload.grantId}`, [...members, this.key(id)]);
      }
      if (payload.userCode) set(`userCode:${payload.userCode}`, id, expiresIn);
    }
    async find(id) { return get(this.key(id)); }
    async findByUid(uid) { return this.find(get(`sessionUid:${uid}`)); }
    async findByUserCode(code) { return this.find(get(`userCode:${code}`)); }
    async consume(id) {
      const payload = get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id) { store.delete(this.key(id)); }
    async revokeByGrantId(grantId) {
      for (const key of get(`grant:${grantId}`) ?? []) store.delete(key);
      store.delete(`grant:${grantId}`);
    }
  };
}

// prompt.reasons (oidc-provider's login checks) that mean "authenticate again from scratch":
// methods remembered by the session no longer count.
export const REAUTH_REASONS = new Set([
  "no_session", "login_prompt", "max_age", "id_token_hint", "claims_id_token_sub_value",
]);

/**
 * oidc-provider enforces `max_age`, `prompt=login` and essential `acr` claims itself (the login
 * prompt's checks), but treats `acr_values` as voluntary and knows nothing of levels. These two
 * extra checks ask for an interaction whenever our rule wants a step (`stepup_acr`) or cannot be
 * met (`stepup_unmet`; with `prompt=none` that check's own error is what the client gets).
 *
 * When the session already suffices but the rule asserts another `acr` than the session holds
 * (Fief's "0" on reuse, WSO2's LOA3 → LOA2, Janssen's requested name), the session is relabelled
 * in place: the code is minted from `session.acr` right after the checks and the session is saved
 * after the response, so no extra redirect is needed and `prompt=none` keeps working.
 * On the resume after our interaction (`result.login` set) they trust what it decided.
 */
function sessionPlan(p, { oidc }) {
  if (oidc.result?.login || !oidc.session.accountId) return {};
  const plan = decide(p, {
    requested: requestedAcr(p, oidc.params).values,
    factors: USERS[oidc.session.accountId]?.factors,
    session: oidc.session.amr ?? [],
    fresh: [],
  });
  if (!plan.next && !plan.unmet && plan.acr !== oidc.session.acr) oidc.session.acr = plan.acr;
  return plan;
}

function stepUpChecks(p) {
  const { Check } = interactionPolicy;
  return [
    new Check("stepup_unmet", "the requested authentication level cannot be reached",
      "unmet_authentication_requirements", (ctx) => Boolean(sessionPlan(p, ctx).unmet)),
    new Check("stepup_acr", "the requested authentication level needs another sign-in step",
      "login_required", (ctx) => Boolean(sessionPlan(p, ctx).next)),
  ];
}

/**
 * The access tokens a dialect's provider issues by default, made from oidc-provider's RFC 9068
 * token (its JWT format customizer, lib/models/formats/jwt.js): the header it gets (`typ` left
 * out when undefined) and the payload rewritten. The dialects without a shape keep RFC 9068
 * (`at+jwt`). WSO2 and Janssen really issue opaque tokens, which resource servers introspect
 * (RFC 7662): `startIdp({ accessTokens: "opaque" })` issues those instead (see
 * `providerConfiguration`).
 *   fief: only `alg` and `kid` in the header; `aud` is the client id (a list), `azp` the client,
 *     `scope`, `permissions`, `acr` and `auth_time`; no `client_id`, `jti` or `amr`.
 *   auth0: typed `JWT`; `aud` is the API and the issuer's `/userinfo`, `azp` the client, `scope`;
 *     `acr`, `amr` and `auth_time` as a post-login Action adds them for step-up (Auth0 asserts
 *     none of them in access tokens by itself); a `jti`, no `client_id`.
 */
export const ACCESS_TOKEN_SHAPES = {
  fief(token, jwt) {
    const { client_id: client, jti, amr, ...claims } = jwt.payload;
    jwt.header = { typ: undefined };
    jwt.payload = { ...claims, aud: [client], azp: client, permissions: [] };
  },
  auth0(token, jwt) {
    const { client_id: client, ...claims } = jwt.payload;
    jwt.header = { typ: "JWT" };
    jwt.payload = { ...claims, aud: [API_AUDIENCE, `${claims.iss}/userinfo`], azp: client };
  },
};

/**
 * RFC 7662 §2.1: who may ask about a token. The edge guard (a confidential client, the API's
 * resource server here) may introspect any token, the SPA's included; any other client only its
 * own.
 */
async function introspectionAllowed(ctx, client, token) {
  return client.clientId === EDGE_CLIENT_ID || client.clientId === token.clientId;
}

/**
 * `opaque`: access tokens for the API are opaque references (oidc-provider's `opaque` format, as
 * WSO2 and Janssen issue them by default), with the introspection endpoint (RFC 7662) to ask
 * about them and the revocation endpoint (RFC 7009) to end them. Otherwise JWTs, and neither
 * endpoint. `accessTokenTtl()`: the lifetime of the next access token for the API, in seconds.
 */
export function providerConfiguration({
  profile: p, clients, keys, cookieKeys, Adapter, opaque = false, accessTokenTtl = () => 600,
}) {
  const policy = interactionPolicy.base();
  for (const check of stepUpChecks(p)) policy.get("login").checks.add(check);

  return {
    adapter: Adapter,
    clients,
    jwks: { keys },
    cookies: { keys: cookieKeys },
    // acr_values_supported. A client's `default_acr_values` must be among them (oidc-provider
    // checks it) and oidc-provider copies them into `acr_values` when a request has none.
    acrValues: acrValuesSupported(p),
    // Standalone claims (null) are always allowed; putting acr/amr/auth_time in the `openid`
    // scope makes every ID token carry them, not only when a request names them.
    claims: {
      openid: ["sub", "acr", "amr", "auth_time"],
      profile: ["name"],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
    },
    scopes: ["openid", "offline_access", "profile"],
    responseTypes: ["code"],
    clientDefaults: {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      id_token_signed_response_alg: "RS256",
      token_endpoint_auth_method: "client_secret_basic",
    },
    pkce: { required: () => true }, // only S256 exists in v9; every client here must use it
    formats: {
      customizers: { jwt: async (ctx, token, jwt) => ACCESS_TOKEN_SHAPES[p.accessTokens]?.(token, jwt) },
    },
    features: {
      // RP-Initiated Logout 1.0: a relying party sends the browser to end_session_endpoint and
      // the user confirms here (the form oidc-provider makes, with its xsrf token).
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html><meta charset="utf-8"><title>Sign out</title>
            <h1>Sign out of the local IdP?</h1>${form}
            <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
            <button type="submit" form="op.logoutForm">No, stay signed in</button>`;
        },
      },
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      introspection: { enabled: opaque, allowedPolicy: introspectionAllowed },
      // RFC 7009 §2.1: a client revokes only its own tokens.
      revocation: { enabled: opaque, allowedPolicy: async (ctx, client, token) => client.clientId === token.clientId },
      // RFC 8707 + RFC 9068: every authorization is for the API unless `resource` says otherwise,
      // and the code keeps that resource at the token endpoint (useGrantedResource), so the
      // access token is a JWT (`typ: at+jwt`) with the API as its audience, reshaped as the
      // dialect's provider issues it (`ACCESS_TOKEN_SHAPES`), or an opaque one (`opaque`).
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => API_AUDIENCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource) => {
          if (resource !== API_AUDIENCE) throw new errors.InvalidTarget();
          const format = opaque ? { accessTokenFormat: "opaque" }
            : { accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } };
          return { scope: API_SCOPES, audience: API_AUDIENCE, ...format };
        },
      },
    },
    // RFC 9068 2.2.1: acr, amr and auth_time may (and for step-up must) travel in the access
    // token. They come from the code or refresh token being exchanged.
    extraTokenClaims: async (ctx, token) => {
      if (!token.resourceServer) return undefined;
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
      if (!source) return undefined;
      return { acr: source.acr, amr: source.amr, auth_time: source.authTime };
    },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed("refresh_token"),
    // Browser token requests from the SPA: allow the origins of its registered redirect URIs.
    clientBasedCORS: (ctx, origin, client) => client.clientAuthMethod === "none" &&
      client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    findAccount: async (ctx, sub) => {
      const user = USERS[sub];
      if (!user) return undefined;
      return { accountId: sub, claims: async () => ({ sub, name: user.name }) };
    },
    interactions: {
      policy,
      url: (ctx, interaction) => `${interactionPrefix(ctx.oidc.issuer)}/${interaction.uid}`,
    },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = `<!doctype html><html lang="en"><meta charset="utf-8">` +
        `<title>Sign-in error</title><main><h1>Sign-in error</h1>` +
        `<p role="alert" id="error">${escapeHtml(out.error)}: ` +
        `${escapeHtml(out.error_description ?? "")}</p></main></html>`;
    },
    ttl: {
      AccessToken: () => accessTokenTtl(),
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      RefreshToken: 8 * 3600,
    },
  };
}

export function interactionPrefix(issuer) {
  return `${new URL(issuer).pathname.replace(/\/$/, "")}/interaction`;
}

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
