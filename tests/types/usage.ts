// Compiled with `tsc --noEmit` by `make test`: every export is usable with real types, and the
// `@ts-expect-error` lines prove that mistakes are caught at compile time (tsc fails if one of
// them stops being an error).
import init, * as stepup from "../../pkg/index.js";
import type {
  AccessTokenProfile,
  AccessTokenVerifyOptions,
  AcrPolicy,
  AuthorizationParams,
  AuthorizationResponse,
  DiscoveryMetadata,
  Guard,
  GuardEnv,
  IdTokenVerifyOptions,
  JsonWebKeySet,
  JwtClaims,
  StepUpChallenge,
  StepUpDecision,
  StepUpError,
  StepUpErrorCode,
  StepUpReason,
  StepUpRequirement,
} from "../../pkg/index.js";

export async function signIn(): Promise<string> {
  const { memory } = await init();
  void memory.buffer;
  // @ts-expect-error init() gives the memory, not untyped raw exports: call the module's own
  (await init()).verifyIdToken("a", "b", "c");
  const verifier: string = stepup.generateCodeVerifier();
  const params: AuthorizationParams = {
    authorizationEndpoint: "https://idp.example/authorize",
    clientId: "spa",
    redirectUri: "https://app.example/callback",
    state: stepup.generateState(),
    nonce: stepup.generateNonce(),
    codeChallenge: stepup.calculateCodeChallenge(verifier),
    acrValues: ["LOA3", "LOA2"],
    maxAge: 300,
    essentialAcr: true,
    claims: { userinfo: { email: { essential: true } } },
    extraParams: { audience: "https://api.example" },
  };
  // @ts-expect-error acrValues is a list, not a space-separated string
  const wrong: AuthorizationParams = { ...params, acrValues: "LOA3 LOA2" };
  void wrong;
  const auth0 = stepup.authorizationParamsFromAuth0({ domain: "t.auth0.com", clientID: "x", acr_values: "a b" });
  const lock = stepup.authorizationParamsFromLock("x", "t.auth0.com", { auth: { params: { acr_values: "a" } } });
  const fromAuth0: string = stepup.buildAuthorizationUrl({ ...auth0, ...lock, state: "s", codeChallenge: params.codeChallenge, redirectUri: "https://a/cb" });
  void fromAuth0;
  return stepup.buildAuthorizationUrl(params);
}

export function callback(url: string): AuthorizationResponse | StepUpErrorCode {
  try {
    const metadata: DiscoveryMetadata = stepup.parseDiscoveryDocument("{}", "https://idp.example");
    const acr: string[] | undefined = metadata.acr_values_supported;
    void acr;
    const response = stepup.validateAuthorizationResponse(new URL(url), {
      expectedState: "s",
      expectedIssuer: metadata.issuer,
      requireIssuer: metadata.authorization_response_iss_parameter_supported === true,
    });
    const code: string = response.code;
    void code;
    // @ts-expect-error expectedIssuer is required
    stepup.validateAuthorizationResponse(url, { expectedState: "s" });
    return response;
  } catch (e) {
    // A type guard: `e` (unknown in a catch) is a StepUpError inside, with no cast.
    if (stepup.isStepUpError(e)) {
      if (e.code === "ERR_AUTH_RESPONSE_ERROR") return e.code;
      // @ts-expect-error not a stepup code
      if (e.code === "ERR_NOT_A_CODE") return e.code;
    }
    throw e;
  }
}

export const codes: StepUpErrorCode[] = stepup.errorCodes();

export function stepUp(claims: JwtClaims): string | null {
  const policy: AcrPolicy = stepup.acrPolicy("wso2");
  // @ts-expect-error not a preset name
  stepup.acrPolicy("okta");
  const requirement: StepUpRequirement = { acr: ["LOA3"], amr: { any: ["otp", "hwk"] }, maxAge: 300 };
  // @ts-expect-error maxAge is a number of seconds
  const late: StepUpRequirement = { maxAge: "300" };
  void late;
  const decision: StepUpDecision = stepup.evaluateStepUp(claims, requirement, { policy, clockTolerance: 5 });
  const ok: boolean = stepup.acrSatisfies(claims.acr, "LOA2", policy) && stepup.amrSatisfies(claims.amr, { all: ["pwd"] });
  const chosen: string | null = stepup.selectStrongestAcr(["LOA2", "LOA3"], ["LOA3"], policy);
  const configuredFirst: string | null = stepup.selectAcrFrom(["LOA2", "LOA3"], ["LOA3"]);
  const resolved: string[] = stepup.resolveAcrValues({ requested: ["otp"], supported: ["otp"], fallback: { useHighestLevel: true } });
  const amr: string[] = stepup.mapAuthenticationMethods(["SMSOTP"], { mapping: { SMSOTP: "sms" } });
  void [ok, chosen, configuredFirst, resolved, amr];
  if (decision.satisfied) return null;
  const header: string = stepup.buildStepUpChallenge({ acrValues: decision.acrValues, maxAge: decision.maxAge });
  const challenge: StepUpChallenge | null = stepup.parseStepUpChallenge(header);
  const reasons: StepUpReason[] = decision.reasons;
  void reasons;
  return challenge?.acrValues.join(" ") ?? null;
}

export async function verify(idToken: string, accessToken: string, jwks: JsonWebKeySet): Promise<number> {
  const options: IdTokenVerifyOptions = { issuer: "https://idp.example", audience: "spa", expectedNonce: "n", requirement: { acr: "1" }, policy: stepup.acrPolicy("fief") };
  const claims: JwtClaims = await stepup.verifyIdToken(idToken, jwks, options);
  const api: AccessTokenVerifyOptions = { issuer: claims.iss, audience: "https://api.example", algorithms: ["ES256"] };
  const access = await stepup.verifyAccessToken(accessToken, jwks, api);
  const fief: AccessTokenProfile = "jwt";
  await stepup.createVerifier({ issuer: claims.iss, audience: "spa", jwks, accessTokenProfile: fief }).verifyAccessToken(accessToken);
  // @ts-expect-error a profile is "rfc9068" or "jwt"
  await stepup.verifyAccessToken(accessToken, jwks, { ...api, accessTokenProfile: "opaque" });
  // @ts-expect-error the issuer is required
  await stepup.verifyIdToken(idToken, jwks, { audience: "spa" });
  return access.exp;
}

export function edge(env: GuardEnv): (request: Request) => Promise<Response> {
  const guard = new stepup.Guard(env);
  void guard.checkProvider();
  // @ts-expect-error the browser client is in the browser build only
  void stepup.Client;
  return (request) => guard.fetch(request);
}

/** What `wrangler types` writes: an interface, no index signature, bindings beside the settings. */
interface Env {
  STEPUP_ISSUER: string;
  STEPUP_CLIENT_ID: string;
  SESSIONS: { get(key: string): Promise<string | null> };
}

export function wranglerWorker(env: Env): Guard {
  return new stepup.Guard(env);
}
