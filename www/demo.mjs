// `make demo`: the demo bank on 127.0.0.1 — the local IdP (tests/idp/), the bank's own server
// (www/serve.mjs: the SPA's files and its API) and, in front of that server, the edge guard
// (worker/) in workerd. The browser talks only to the guard: pages pass through it untouched, the
// API behind it needs a bearer access token strong and fresh enough for each call.
//
//   IDP_PROFILE=fief|auth0|wso2|janssen (default wso2)   the ACR dialect
//   PORT (default 8787)                                   where the guard listens
//   STEPUP_ISSUER, STEPUP_CLIENT_ID, STEPUP_CLIENT_SECRET, STEPUP_ACR_POLICY, STEPUP_API_AUDIENCE,
//   DEMO_SPA_CLIENT_ID                                    a real IdP instead of the local one
//
// Browser tests start it in-process: `const demo = await startDemo({ port: 0 }); … demo.stop()`.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Guard, initSync } from "../pkg/index.js";
import {
  API_AUDIENCE, EDGE_CLIENT_ID, EDGE_CLIENT_SECRET, SPA_CLIENT_ID, edgeClient, spaClient, startIdp,
} from "../tests/idp/server.mjs";
import { freePort, startWorkerd } from "../tests/js/workerd.mjs";
import { startUpstream } from "./serve.mjs";

const MFA_URI = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

// The basic and the multi-factor level in each dialect the local IdP speaks
// (tests/idp/profiles.mjs). Auth0 asserts no `acr` for a password alone, so there the basic level
// is any valid access token.
const LEVELS = {
  fief: { basic: { acr: ["1"] }, mfa: { acr: ["2"] } },
  auth0: { basic: {}, mfa: { acr: [MFA_URI] } },
  wso2: { basic: { acr: ["LOA1"] }, mfa: { acr: ["LOA2"] } },
  janssen: { basic: { acr: ["basic"] }, mfa: { acr: ["otp"] } },
};

// The guard settings a real IdP brings from the environment (with STEPUP_ISSUER).
const PROVIDER_SETTINGS = ["STEPUP_ISSUER", "STEPUP_CLIENT_ID", "STEPUP_CLIENT_SECRET",
  "STEPUP_ACR_POLICY", "STEPUP_API_AUDIENCE", "STEPUP_ACCESS_TOKEN_PROFILE"];

/**
 * The local IdP's access tokens in each dialect (tests/idp/config.mjs, ACCESS_TOKEN_SHAPES) and
 * how the guard takes them, as each provider issues them by default (the provider preset names
 * the profile): Fief's and Auth0's are the provider's own JWTs, Fief's for the SPA's client id;
 * WSO2's and Janssen's are opaque, read through the provider's introspection endpoint.
 */
const LOCAL_API = {
  fief: { STEPUP_ACCESS_TOKEN_PROFILE: "fief", STEPUP_API_AUDIENCE: SPA_CLIENT_ID },
  auth0: { STEPUP_ACCESS_TOKEN_PROFILE: "auth0", STEPUP_API_AUDIENCE: API_AUDIENCE },
  wso2: { STEPUP_ACCESS_TOKEN_PROFILE: "wso2", STEPUP_API_AUDIENCE: API_AUDIENCE },
  janssen: { STEPUP_ACCESS_TOKEN_PROFILE: "janssen", STEPUP_API_AUDIENCE: API_AUDIENCE },
};

/** The dialects whose providers issue opaque access tokens by default. */
const OPAQUE = new Set(["wso2", "janssen"]);

/**
 * The bank's actions and what each needs. The guard's rules and the SPA's panel are both made
 * from this one list, so they cannot disagree. `emailMaxAge` is the freshness window of "change
 * email" in seconds (tests shorten it). `stepUp` is how the SPA meets the API's challenge: the
 * transfer in a popup (the half-filled form stays), the others by leaving the page and coming
 * back (`resume()`).
 */
export function demoActions(profile, emailMaxAge = 300) {
  const levels = LEVELS[profile];
  if (!levels) {
    const known = Object.keys(LEVELS).join(", ");
    throw new TypeError(`unknown profile ${JSON.stringify(profile)}; use one of ${known}`);
  }
  const minutes = emailMaxAge % 60 === 0 ? `${emailMaxAge / 60} minutes` : `${emailMaxAge} seconds`;
  return [
    { id: "balance", title: "See the balance", method: "GET", path: "/api/balance",
      needs: "a sign-in with a password", requirement: levels.basic, stepUp: true },
    { id: "transfer", title: "Transfer money", method: "POST", path: "/api/transfer",
      needs: "multi-factor: password and a one-time code", requirement: levels.mfa, stepUp: "popup" },
    { id: "email", title: "Change email", method: "POST", path: "/api/email",
      needs: `a sign-in within the last ${minutes}`, requirement: { maxAge: emailMaxAge }, stepUp: true },
  ];
}

/**
 * Starts the demo with the guard on 127.0.0.1:`port` (0: any free port). Without
 * `env.STEPUP_ISSUER` it starts the local IdP in `profile`'s dialect; with it, the guard and
 * the SPA use that provider (`DEMO_SPA_CLIENT_ID` names the SPA's public client there).
 * Resolves to `{ url, idp, profile, apiCalls, stop }`; `idp` is the local IdP (undefined for a
 * real one), `apiCalls` what reached the bank's API (`"POST /api/transfer alice"`).
 */
export async function startDemo({ profile = "wso2", port = 8787, emailMaxAge = 300, env = process.env } = {}) {
  const actions = demoActions(profile, emailMaxAge);
  port ||= await freePort();
  const url = `http://127.0.0.1:${port}`;
  const stops = [];
  const stop = async () => {
    for (const close of stops.splice(0).reverse()) await close();
  };
  try {
    let idp;
    let provider;
    if (env.STEPUP_ISSUER) {
      provider = Object.fromEntries(PROVIDER_SETTINGS.filter((k) => env[k]).map((k) => [k, env[k]]));
    } else {
      // Both loopback spellings, so the demo works whichever one the browser is given.
      const at = (path) => [url, `http://localhost:${port}`].map((origin) => `${origin}${path}`);
      idp = await startIdp({
        profile,
        clients: [spaClient(at("/signed-in"), { post_logout_redirect_uris: at("/signed-out") }), edgeClient(at("/callback"))],
        accessTokens: OPAQUE.has(profile) ? "opaque" : "jwt",
      });
      stops.push(() => idp.close());
      provider = {
        STEPUP_ISSUER: idp.issuer, STEPUP_CLIENT_ID: EDGE_CLIENT_ID, STEPUP_CLIENT_SECRET: EDGE_CLIENT_SECRET,
        ...LOCAL_API[profile],
      };
    }
    const settings = { STEPUP_ACR_POLICY: profile, STEPUP_API_AUDIENCE: API_AUDIENCE, ...provider };

    const upstream = await startUpstream({
      issuer: settings.STEPUP_ISSUER,
      clientId: idp ? SPA_CLIENT_ID : env.DEMO_SPA_CLIENT_ID ?? SPA_CLIENT_ID,
      // RFC 8707: the API the SPA asks tokens for (the local IdP's, whatever audience its
      // dialect then writes into them).
      resource: idp ? API_AUDIENCE : settings.STEPUP_API_AUDIENCE,
      profile,
      // A preset name, or a policy written as JSON: the SPA judges levels as the guard does.
      policy: settings.STEPUP_ACR_POLICY.trimStart().startsWith("{")
        ? JSON.parse(settings.STEPUP_ACR_POLICY) : settings.STEPUP_ACR_POLICY,
      localIdp: Boolean(idp),
      actions,
    });
    stops.push(() => upstream.close());
    const apiCalls = upstream.calls;

    // Every action is an API rule: the guard answers 401 with an RFC 9470 challenge, never a
    // redirect, and the SPA steps up.
    const rules = actions.map(({ path, requirement }) => ({ path, api: true, ...requirement }));
    const guardEnv = {
      ...settings,
      STEPUP_SESSION_SECRET: randomBytes(48).toString("base64url"),
      STEPUP_UPSTREAM: upstream.url,
      STEPUP_RULES: JSON.stringify(rules),
    };
    // As `make worker` does: a bad setting, or a level the provider does not offer, is named
    // here instead of failing every request.
    initSync({ module: readFileSync(new URL("../pkg/stepup_bg.wasm", import.meta.url)) });
    await new Guard(guardEnv).checkProvider();
    const config = new URL("../worker/config.capnp", import.meta.url);
    const worker = await startWorkerd(config, { port, env: guardEnv });
    stops.push(() => worker.stop());
    return { url, idp, profile, apiCalls, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const profile = process.env.IDP_PROFILE ?? "wso2";
  const port = process.env.PORT ?? "8787";
  if (!/^\d{1,5}$/.test(port)) {
    console.error(`stepup demo: PORT must be a port number, got ${JSON.stringify(port)}`);
    process.exit(1);
  }
  let demo;
  try {
    demo = await startDemo({ profile, port: Number(port) });
  } catch (e) {
    console.error(`stepup demo: ${e.message}`);
    process.exit(1);
  }
  console.log(`
  stepup demo bank — open ${demo.url}/

  ACR dialect  ${profile} (IDP_PROFILE=fief|auth0|wso2|janssen)
  identity     ${demo.idp ? `local IdP at ${demo.idp.issuer}` : process.env.STEPUP_ISSUER}`);
  if (demo.idp) {
    console.log(`  users        alice / wonderland   then the one-time code the sign-in page shows
               bob / builder        password only: transfers need a second factor he lacks`);
  }
  console.log("\n  Ctrl-C stops everything.\n");
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, async () => {
      await demo.stop();
      process.exit(0);
    });
  }
}
