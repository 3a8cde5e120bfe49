// The browser client's types (js/client.js): its options and answers, and the class.
import type { AcrPolicy, JwtClaims, StepUpError, StepUpReason, StepUpRequirement } from "./stepup.js";
export interface ClientOptions {
    issuer: string;
    clientId: string;
    /** Where the provider sends the browser back; the page that calls `handleCallback`. */
    redirectUri: string;
    /** Default "openid profile". */
    scope?: string;
    /** RFC 8707 resource: the API the access tokens are for. */
    resource?: string;
    /** How ACR values rank (default: numeric-or-exact). */
    policy?: AcrPolicy;
    /** Auth0: the API the access tokens are for (sent as `audience`). */
    audience?: string;
    /** Auth0 Organizations: sent as `organization`. */
    organization?: string;
    /** Auth0: the connection to sign in with (sent as `connection`). */
    connection?: string;
    /**
     * Other authorization request parameters. A parameter stepup sets itself (`state`,
     * `acr_values`, `claims`, `resource`, …) or one with an option of its own (`audience`,
     * `organization`, `connection`) is refused: `ERR_INVALID_ARG_VALUE` naming `extraParams.<name>`.
     */
    extraParams?: Record<string, string>;
    /** Where discovery is when not at `{issuer}/.well-known/openid-configuration`; its `issuer` must still be `issuer`. */
    discoveryUrl?: string;
    /** The discovery document itself: never fetched (its `issuer` must be `issuer`). */
    metadata?: Record<string, unknown>;
    /** Where the provider sends the browser after `signOut({ endSession: true })` (default `redirectUri`); registered there. */
    postLogoutRedirectUri?: string;
    /**
     * Origins besides the page's own that `fetch` sends tokens to, as browsers write them
     * (`"https://api.example.com"`); the origin of `resource` counts too (`audience`'s does not). A call
     * to any other origin is refused (`ERR_INVALID_ARG_VALUE` naming `input`), no token sent.
     */
    apiOrigins?: string[];
    /**
     * Where the client keeps its state: `"session"` (default: `sessionStorage`, this tab),
     * `"local"` (`localStorage`: the origin's tabs share it and refresh one at a time),
     * `"memory"` (this page only), or an object with synchronous `get`, `set` and `remove` (a
     * Promise is not awaited: it reads as absent). A sign-in or sign-out under way is kept in
     * `sessionStorage` whatever the store.
     */
    store?: "session" | "local" | "memory" | ClientStore;
}

/** A caller's store: synchronous string storage. */
export interface ClientStore {
    get(key: string): string | null | undefined;
    set(key: string, value: string): void;
    remove(key: string): void;
}

/** What to sign in with. auth0.js (`acr_values`, `max_age`) and Lock (`auth.params`) spellings work too. */
export interface SignInOptions {
    acrValues?: string[];
    maxAge?: number;
    prompt?: string;
    loginHint?: string;
    /** Where `handleCallback` says to go afterwards (default: the current page). */
    returnTo?: string;
    /** Requirements the new token must meet beyond `acrValues`/`maxAge` (e.g. `amr`). */
    requirement?: StepUpRequirement;
    acr_values?: string;
    max_age?: number;
    auth?: { params?: { acr_values?: string; max_age?: number; prompt?: string } };
    /** This sign-in's `audience`, `organization`, `connection` (over the client's). */
    audience?: string;
    organization?: string;
    connection?: string;
    /** This sign-in's other parameters, over the client's `extraParams` (same refusals). */
    extraParams?: Record<string, string>;
    /** Also request `acr` as an essential ID token claim with `acrValues` (OIDC Core 5.5.1.1). */
    essentialAcr?: boolean;
    /** An OIDC claims request (OIDC Core 5.5), merged with `essentialAcr`'s. */
    claims?: Record<string, unknown>;
    /** With `popup`: how long the popup may take, in seconds (default 60, at most 86400). */
    timeoutInSeconds?: number;
}

/**
 * Sign in in a popup instead of leaving the page: `true` opens one (call it from a click, before
 * any await of yours, or the browser may block it), or pass a window the page opened itself
 * (as auth0-spa-js's `config.popup`). The popup is closed when the sign-in ends.
 */
export type PopupOption = boolean | Window;

/** `signIn` in a popup: `returnTo` has no use there (the page stays). */
export interface PopupSignInOptions extends Omit<SignInOptions, "returnTo"> {
    popup: true | Window;
}

/** What `stepUp` does beyond asking for what the session lacks. */
export interface ClientStepUpOptions {
    /** Where `handleCallback` says to go afterwards (a redirect only; default: the current page). */
    returnTo?: string;
    /** Step up in a popup: the page stays as it is, and `stepUp` resolves to the verified claims. */
    popup?: PopupOption;
    /** With `popup`: how long the popup may take, in seconds (default 60). */
    timeoutInSeconds?: number;
}

/** The verified claims of a sign-in done in a popup. */
export interface PopupSignInResult {
    claims: JwtClaims;
}

/**
 * A popup sign-in that ended without the provider's answer: `ERR_STEP_UP_REQUIRED`, with what it
 * asked for (`acrValues`, `maxAge`: pass them to `stepUp` from a click to try again).
 */
export interface PopupError extends StepUpError {
    code: "ERR_STEP_UP_REQUIRED";
    /** The browser blocked the popup, it was closed first, or `timeoutInSeconds` passed. */
    reason: "popup_blocked" | "popup_closed" | "popup_timeout";
}

/** What another tab of this origin did, as `onChange` listeners hear it. */
export type ClientChange =
    | { type: "signedIn"; /** The verified ID token's claims of that sign-in or step-up. */ claims: JwtClaims }
    | { type: "signedOut" };

/** What `signOut` does beyond forgetting the tokens. */
export interface SignOutOptions {
    /** End the provider's session too (RP-Initiated Logout 1.0): navigates to its `end_session_endpoint`. */
    endSession?: boolean;
    /** Where `handleSignOutCallback` says to go afterwards (default: the current page). */
    returnTo?: string;
}

export interface CallbackResult {
    claims: JwtClaims;
    returnTo: string;
}

export interface SessionStatus {
    signedIn: boolean;
    /** The claims of the token that meets the requirement, else of the strongest held. */
    claims?: JwtClaims;
    satisfied: boolean;
    reasons: StepUpReason[];
    acrValues?: string[];
    maxAge?: number;
    /** Seconds until the session stops meeting the requirement (token expiry or maxAge). */
    expiresIn?: number;
}

/** What `refresh` did. */
export interface RefreshResult {
    /** The claims the refreshed tokens now stand for. */
    claims: JwtClaims;
    /** The provider reported a weaker authentication than the tokens had (a lower `acr`, none, or fewer `amr` methods): they now count at the new level. */
    downgraded: boolean;
    /** The `acr` and `amr` before the refresh, when downgraded. */
    previous?: { acr?: string; amr?: string[] };
}

export interface ClientFetchOptions {
    /**
     * Meet a step-up challenge by signing in again: `true` navigates away (`resume()` replays the
     * call); `"popup"` signs in in a popup and replays the call once, here.
     */
    stepUp?: boolean | "popup";
    /** With `stepUp: "popup"`: how long the popup may take, in seconds (default 60). */
    timeoutInSeconds?: number;
}

/** The browser client (README, "Quick start (SPA)"): sign-in, step-up and tokens per level, kept in `sessionStorage`. */
export class Client {
    /** Reads the options; throws a `TypeError` naming a bad one. */
    constructor(options: ClientOptions);
    /**
     * Releases the client's wasm memory and its channel to other tabs; the client is not usable
     * afterwards: a method called then fails with `ERR_INVALID_STATE`; a `fetch` under way
     * resolves to the API's answer as it came (it was made), and a popup sign-in ends.
     */
    free(): void;
    /**
     * Calls `listener` when another tab of this origin signs in, steps up or signs out (a
     * sign-out there signs this tab out too); returns the function that stops it.
     */
    onChange(listener: (change: ClientChange) => void): () => void;
    /** The authorization URL for a sign-in, with its transaction stored (for custom navigation). */
    authorizationUrl(options?: SignInOptions): Promise<string>;
    /**
     * Signs in in a popup: the page stays as it is; resolves to the verified claims, or rejects
     * with a `PopupError` (blocked, closed, timed out) or the sign-in's own error.
     */
    signIn(options: PopupSignInOptions): Promise<PopupSignInResult>;
    /** Signs in: navigates to the provider. */
    signIn(options?: SignInOptions): Promise<void>;
    /** Signs in again in a popup to meet `requirement`; resolves to the verified claims. */
    stepUp(requirement: StepUpRequirement, options: ClientStepUpOptions & { popup: true | Window }): Promise<PopupSignInResult>;
    /** Signs in again to meet `requirement` (what to ask for comes from the current session). */
    stepUp(requirement: StepUpRequirement, options?: ClientStepUpOptions): Promise<void>;
    /**
     * Completes a sign-in on the redirect page; resolves to the verified claims and where to go.
     * In a popup of this origin's page, hands the answer to that page and closes (never settles).
     */
    handleCallback(url?: string): Promise<CallbackResult>;
    /** Whether the session meets `requirement` (default: any sign-in), and for how long. */
    session(requirement?: StepUpRequirement): SessionStatus;
    /** The weakest held access token that meets `requirement`, or `undefined`. */
    accessToken(requirement?: StepUpRequirement): string | undefined;
    /**
     * Renews the tokens of the weakest held sign-in that meets `requirement` (default: any)
     * with its refresh token, and tells whether the provider came back with a weaker
     * authentication. `fetch` does this by itself when a token it needs has expired.
     */
    refresh(requirement?: StepUpRequirement): Promise<RefreshResult>;
    /**
     * `fetch` with the weakest held access token. A step-up challenge (`401` or `403`: RFC 9470,
     * Okta, Entra, Auth0) is retried once with a held token that meets it; otherwise it throws
     * `ERR_STEP_UP_REQUIRED`, or with `{ stepUp: true }` saves the call and signs in for exactly
     * what the API asked (an Entra claims challenge's claims request sent back as `claims`), or
     * with `{ stepUp: "popup" }` signs in for it in a popup and resolves to the call replayed
     * once (a `PopupError` when the popup is blocked, closed or too slow). Tokens go only to the
     * page's origin, `resource`'s and `apiOrigins`: a call elsewhere is refused
     * (`ERR_INVALID_ARG_VALUE`), no token sent.
     */
    fetch(input: RequestInfo | URL, init?: RequestInit, options?: ClientFetchOptions): Promise<Response>;
    /**
     * After a step-up started by `fetch(…, { stepUp: true })` and `handleCallback`: replays the
     * saved call once and resolves to its `Response`, or `null` when none is waiting. Still
     * challenged, it throws `ERR_STEP_UP_REQUIRED` and never navigates.
     */
    resume(): Promise<Response | null>;
    /**
     * Forgets every token and sign-in under way, at once (before any await); with
     * `{ endSession: true }` then ends the provider's session too (RP-Initiated Logout 1.0): the
     * browser goes to its `end_session_endpoint` with `id_token_hint`, `post_logout_redirect_uri`
     * and `state`, and comes back to `handleSignOutCallback`.
     */
    signOut(options?: SignOutOptions): Promise<void>;
    /** On the `post_logout_redirect_uri` page: checks the provider's `state`; resolves to where to go. */
    handleSignOutCallback(url?: string): Promise<{ returnTo: string }>;
}
