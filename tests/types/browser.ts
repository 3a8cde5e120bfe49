// The browser build's entry (pkg/browser/, what an SPA's bundler resolves): the browser `Client`
// and the SPA's other exports with the same types as the full build's, and no `Guard`. Compiled
// with `tsc --noEmit` by `make test-types`, as usage.ts is.
import init, * as stepup from "../../pkg/browser/index.js";
import { Client, createVerifier, evaluateStepUp, verifyIdToken } from "../../pkg/browser/index.js";
import type {
  CallbackResult,
  ClientChange,
  JsonWebKeySet,
  JwtClaims,
  PopupError,
  PopupSignInResult,
  RefreshResult,
  SessionStatus,
  SignInOptions,
  StepUpDecision,
} from "../../pkg/browser/index.js";
// @ts-expect-error the guard is in the full build only
import { Guard } from "../../pkg/browser/index.js";

export async function decide(token: string, jwks: JsonWebKeySet): Promise<StepUpDecision> {
  await init();
  const claims: JwtClaims = await verifyIdToken(token, jwks, { issuer: "https://idp.example", audience: "spa" });
  void createVerifier;
  void Guard;
  return evaluateStepUp(claims, { acr: "phr" });
}

export async function signIn(): Promise<string | undefined> {
  const client = new Client({ issuer: "https://idp.example", clientId: "spa", redirectUri: "https://app.example/cb", policy: stepup.acrPolicy("wso2") });
  const options: SignInOptions = { acrValues: ["LOA2"], maxAge: 300, returnTo: "/transfer" };
  void client.authorizationUrl({ auth: { params: { acr_values: "LOA2" } } });
  if (!client.session().signedIn) await client.signIn(options);
  const { claims, returnTo }: CallbackResult = await client.handleCallback();
  void returnTo;
  const status: SessionStatus = client.session({ acr: ["LOA2"], maxAge: 300 });
  const res: Response = await client.fetch("/api/transfer", { method: "POST" }, { stepUp: true });
  const replayed: Response | null = await client.resume();
  const { downgraded, previous }: RefreshResult = await client.refresh({ acr: ["LOA1"] });
  void [status.expiresIn, res.status, replayed?.status, downgraded, previous?.acr];
  // @ts-expect-error step-up requirements are objects
  await client.stepUp("LOA2");
  return claims.acr ?? client.accessToken({ acr: ["LOA1"] });
}

export async function inPopup(client: Client, button: HTMLButtonElement): Promise<string | undefined> {
  const signedIn: PopupSignInResult = await client.signIn({ popup: true, acrValues: ["LOA1"], timeoutInSeconds: 120 });
  const own = window.open("", "sign-in");
  if (own) await client.stepUp({ acr: ["LOA2"] }, { popup: own });
  // @ts-expect-error a popup leaves the page where it is: no returnTo
  await client.signIn({ popup: true, returnTo: "/x" });
  // A redirect's signIn resolves to nothing.
  const navigated: void = await client.signIn({ acrValues: ["LOA1"] });
  void navigated;
  try {
    const res: Response = await client.fetch("/api/transfer", { method: "POST" }, { stepUp: "popup", timeoutInSeconds: 30 });
    void res.status;
  } catch (e) {
    const failed = e as PopupError;
    if (failed.reason === "popup_blocked") {
      // Ask again from a click, for exactly what the API asked.
      button.onclick = () => client.stepUp({ acr: failed.acrValues, maxAge: failed.maxAge }, { popup: true });
    }
  }
  const stop: () => void = client.onChange((change: ClientChange) => {
    if (change.type === "signedIn") void change.claims.acr;
  });
  stop();
  return signedIn.claims.acr;
}
