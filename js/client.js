// The browser client (contract section 5; README, "Quick start (SPA)"): the shell around the
// core's ClientCore (src/client/). The core decides everything — the options, what to ask the
// provider for, whether the callback and the token endpoint's answers are usable, which token a
// call uses, what a refresh made, what a challenge asks, what a saved call replays, which popup
// message is the sign-in's answer, what another tab's change means — and hands back JSON text or
// plain values; this file does the rest: fetch (discovery, the key set, the token endpoint, the
// caller's calls), the store (keys `stepup:<clientId>:…`, values as the core wrote them),
// navigation, popups and their messages, the channel between tabs, and ID token signatures
// through the package's verifier (verifier.js, WebCrypto).
import { ClientCore } from "./stepup.js";
import { verifierOver } from "./verifier.js";

/** The core's documents: discovery and the key set. */
const METADATA = 0;
const KEYS = 1;

/** `ClientCore.failure` kinds. */
const FETCH_FAILED = 0;
const BAD_INPUT = 1;
const NOT_A_FUNCTION = 2;
const UNREADABLE = 3;
const CANCELLED = 4;

/** `ClientCore.popupKind`: no popup, one the client opens (else the caller's window). */
const REDIRECT = 0;
const OPEN = 1;

/** `ClientCore.fetchOptions`: no step-up, a popup step-up (else a redirect). */
const NO_STEP_UP = 0;
const POPUP_STEP_UP = 2;

/** `ClientCore.popupFailed` reasons. */
const BLOCKED = 0;
const CLOSED = 1;
const TIMED_OUT = 2;

/** `ClientCore.storeKind`'s `"session"` and `"local"`. */
const SESSION = 0;
const LOCAL = 1;

/** Why a JavaScript failure happened, in its own words. */
const why = (e) => {
  try {
    return String(/** @type {any} */ (e)?.message ?? e ?? "failed");
  } catch {
    // What was thrown cannot even be read (a revoked proxy).
    return "failed";
  }
};

/**
 * A provider's answer as text (UTF-8, as `Response.text()` decodes it), read chunk by chunk and
 * given up past `limit` bytes (the core's bound): the stream is then cancelled and the error
 * says why.
 * @param {Response} response
 * @param {number} limit
 */
async function boundedText(response, limit) {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new Error(`answer over ${limit} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function location() {
  const here = globalThis.location;
  if (typeof here?.href !== "string") throw ClientCore.failure(FETCH_FAILED, "no location: the client runs in a browser page");
  return here;
}

function navigate(url) {
  location().assign(url);
}

/**
 * Opens the popup for a sign-in, centred on the page, as auth0-spa-js does; `null` when the
 * browser blocked it. Called before any await, while the click that started the call still
 * counts as the user's (transient activation), and navigated once the URL is built.
 * @param {string} name
 * @returns {Window | null}
 */
function openPopup(name) {
  const width = 400;
  const height = 600;
  const left = window.screenX + (window.innerWidth - width) / 2;
  const top = window.screenY + (window.innerHeight - height) / 2;
  return window.open("", name, `left=${left},top=${top},width=${width},height=${height},resizable,scrollbars=yes,status=1`);
}

/** `options` without its `popup` (a window the core cannot read), and that `popup`. */
function withoutPopup(options) {
  try {
    if (typeof options !== "object" || options === null || !("popup" in options)) return [options, undefined];
    const { popup, ...rest } = options;
    return [rest, popup];
  } catch {
    // A revoked proxy, a member that throws: a coded error, never the raw one.
    throw ClientCore.failure(UNREADABLE, "options");
  }
}

/** Whether a page of this origin opened this one and is still open (reading another origin's location throws). */
function openerHere() {
  const opener = globalThis.opener;
  try {
    return Boolean(opener) && !opener.closed && opener.location.origin === location().origin;
  } catch {
    return false;
  }
}

/** Sends `request` with `token` as its bearer token. */
async function send(request, token) {
  try {
    // A token Headers refuses (stored before the token endpoint's answers were checked) fails
    // the call as the network would, coded.
    if (token !== undefined) request.headers.set("authorization", `Bearer ${token}`);
    return await fetch(request);
  } catch (e) {
    throw ClientCore.failure(FETCH_FAILED, why(e));
  }
}

/**
 * Writes `value` under `key` in `store`; a store that refuses it (full: a quota exceeded) is a
 * coded error naming `what`, never the browser's `DOMException`.
 */
function write(store, key, value, what) {
  try {
    store.setItem(key, value);
  } catch (e) {
    throw ClientCore.failure(FETCH_FAILED, `the store refused to keep ${what}: ${why(e)}`);
  }
}

/** A `Request` from `fetch`'s arguments; what `Request` refuses is the caller's `input`. */
function request(input, init) {
  try {
    return new Request(input, init);
  } catch (e) {
    throw ClientCore.failure(BAD_INPUT, why(e));
  }
}

/**
 * The store the core chose (`ClientCore.storeKind`) with Web Storage's `getItem`, `setItem`,
 * `removeItem`, and `keys()` (undefined for the caller's object, which lists nothing), or
 * `undefined` where the browser's storage is missing.
 * @returns {() => ({ getItem(k: string): string | null, setItem(k: string, v: string): void, removeItem(k: string): void, keys?: () => string[] } | undefined)}
 */
function storeOf(kind, custom) {
  if (kind === 3) {
    // Synchronous only: anything but a string (a Promise) reads as absent. A `get` or `remove`
    // that throws is a coded error, as a `set` that does is (`write`), never the raw one.
    const call = (method, k) => {
      try {
        return custom[method](k);
      } catch (e) {
        throw ClientCore.failure(FETCH_FAILED, `the store's ${method}("${k}") failed: ${why(e)}`);
      }
    };
    const store = {
      getItem: (k) => { const v = call("get", k); return typeof v === "string" ? v : null; },
      setItem: (k, v) => { custom.set(k, v); },
      removeItem: (k) => { call("remove", k); },
    };
    return () => store;
  }
  if (kind === 2) {
    const held = new Map();
    const store = {
      getItem: (k) => held.get(k) ?? null,
      setItem: (k, v) => { held.set(k, v); },
      removeItem: (k) => { held.delete(k); },
      keys: () => [...held.keys()],
    };
    return () => store;
  }
  const name = kind === 1 ? "localStorage" : "sessionStorage";
  return () => {
    let storage;
    try {
      storage = globalThis[name];
    } catch {
      // Refused (a sandboxed page): as a page without storage.
      return undefined;
    }
    if (!storage) return undefined;
    return {
      getItem: (k) => storage.getItem(k),
      setItem: (k, v) => storage.setItem(k, v),
      removeItem: (k) => storage.removeItem(k),
      keys: () => Array.from({ length: storage.length }, (_, i) => storage.key(i) ?? ""),
    };
  };
}

/**
 * The step-up challenge a `401` or `403` answer to `sent` carries, as the core reads it:
 * `[requirement, claims request as JSON text or undefined]`, or `undefined` (always, when the
 * page signed out since the call was sent: `signedOut`, or when no one was signed in when it was
 * made: `atCall`, the sets held then, left out for a replay). What answered is the response's
 * URL (a redirect's target), or the call's where the runtime gives none.
 */
const challenge = (core, response, sent, signedOut, atCall) =>
  core.challenge(response.status, response.headers.get("www-authenticate") ?? undefined, response.url || sent.url,
    globalThis.location?.href, signedOut, atCall);

/**
 * Frees a core's wasm memory. Called while the core is in use (`free()` from an option's getter
 * the core is reading), wasm refuses and that memory stays allocated; the client is freed all
 * the same, and fails coded from then on.
 * @param {ClientCore} core
 */
function freeCore(core) {
  try {
    core.free();
  } catch {
    // In use: see above.
  }
}

/**
 * A freed client's core: every use throws `ERR_INVALID_STATE` (Node's code for a call on what was
 * closed), so a method called after `free()`, or a call under way when it came, fails coded.
 */
const FREED = /** @type {ClientCore} */ (/** @type {unknown} */ (new Proxy({}, {
  get() {
    throw freed();
  },
})));

/** The error of a use of a freed client. */
function freed() {
  const error = new Error("this Client was freed (free()): make a new one");
  /** @type {any} */ (error).code = "ERR_INVALID_STATE";
  return error;
}

/** How long a tab waits for another tab's refresh to reach a shared store, and how often it looks (ms). */
const SPENT_WAIT = 2000;
const SPENT_POLL = 20;

/**
 * The name of the lock a tab holds once it spent the refresh token of the stored set `old`
 * (JSON text): a digest of the token, never the token. `undefined` without WebCrypto or a token.
 * @param {string} prefix
 * @param {string} old
 */
async function spentLock(prefix, old) {
  const token = JSON.parse(old).refreshToken;
  const subtle = globalThis.crypto?.subtle;
  if (typeof token !== "string" || !subtle) return undefined;
  const digest = new Uint8Array(await subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return `${prefix}spent:${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * What a page's clients that keep their state under one storage prefix share (two clients with
 * one client id for two issuers do): how many sign-outs the page made or heard of, so that a
 * sign-in started before one is cancelled (`ClientCore.signedIn`) even when the provider
 * answered it meanwhile, and the popups of sign-ins under way, which a sign-out closes.
 * @type {Map<string, { signOuts: number, popups: Set<Window> }>}
 */
const pages = new Map();

/** @param {string} prefix */
function pageOf(prefix) {
  let page = pages.get(prefix);
  if (page === undefined) pages.set(prefix, (page = { signOuts: 0, popups: new Set() }));
  return page;
}

export class Client {
  #core;
  #prefix;
  #tokensKey;
  #pendingKey;
  #markKey;
  #keptKey;
  #timeout;
  #maxAnswer;
  #storage;
  /** This tab's `sessionStorage`, for the transactions. */
  #session;
  #storeKind;
  /**
   * The channel to the origin's other tabs (named after the storage prefix), where present.
   * @type {BroadcastChannel | undefined}
   */
  #channel;
  /** @type {((event: StorageEvent) => void) | undefined} */
  #onStorage;
  /** @type {Set<(event: object) => void>} */
  #listeners = new Set();
  /** @type {Set<Window>} This client's popups open now (the page's hold every client's). */
  #popups = new Set();
  /** What this page's clients with the same storage prefix share (`pageOf`). */
  #page;
  /**
   * The fetch of each document under way, which every other call awaits.
   * @type {(Promise<void> | undefined)[]}
   */
  #flights = [undefined, undefined];
  /**
   * The verifiers over the key set held, for sign-ins and for refreshes.
   * @type {(import("./verifier.js").Verifier | undefined)[]}
   */
  #verifiers = [undefined, undefined];
  /** Refreshes at the token endpoint now: `free()` leaves the core to the last of them. */
  #refreshing = 0;
  /** @type {ClientCore | undefined} The core `free()` left for the refreshes under way to free. */
  #freeing;

  /** Reads the options; throws a `TypeError` naming a bad one. */
  constructor(options) {
    // `store` may hold functions, which the core does not read: it is handed over apart.
    let given, store, rest;
    try {
      given = typeof options === "object" && options !== null && "store" in options;
      ({ store, ...rest } = given ? options : { store: undefined });
    } catch {
      // A revoked proxy, a member that throws: a coded error, never the raw one.
      throw ClientCore.failure(UNREADABLE, "options");
    }
    this.#core = new ClientCore(given ? rest : options);
    this.#storeKind = ClientCore.storeKind(store);
    this.#storage = storeOf(this.#storeKind, store);
    this.#session = storeOf(SESSION, undefined);
    [this.#prefix, this.#tokensKey, this.#pendingKey, this.#timeout, this.#maxAnswer, this.#markKey, this.#keptKey] =
      this.#core.settings();
    this.#page = pageOf(this.#prefix);
    // Tokens kept before a sign-out in a tab that this one did not hear (it was away at the
    // provider, or closed, then) go, as they went in the tabs that heard it. (A sign-in this
    // tab comes back from is cancelled by its callback, which drops the call saved for it.)
    const held = this.#storage();
    if (held && held.getItem(this.#tokensKey) !== null) {
      if (ClientCore.signedOutElsewhere(held.getItem(this.#keptKey) ?? undefined, this.#signOutMark(false))) {
        held.removeItem(this.#tokensKey);
        held.removeItem(this.#keptKey);
      }
    }
    // Tabs that agree: another tab's sign-in, step-up or sign-out comes on the channel, or,
    // without one, as `storage` events of the shared `"local"` store.
    if (typeof BroadcastChannel === "function") {
      this.#channel = new BroadcastChannel(this.#prefix);
      this.#channel.onmessage = (event) => this.#heard(this.#core.changed(event.data, this.#storeKind));
      // Where a channel would keep the process alive (node, for a page rendered on a server), it
      // must not: a client is no reason to keep running.
      /** @type {any} */ (this.#channel).unref?.();
    } else if (this.#storeKind === LOCAL && typeof globalThis.addEventListener === "function") {
      this.#onStorage = (event) => {
        if (event.storageArea !== globalThis.localStorage) return;
        this.#heard(this.#core.storageChanged(event.key ?? undefined, event.oldValue ?? undefined, event.newValue ?? undefined));
      };
      globalThis.addEventListener("storage", this.#onStorage);
    }
  }

  /** Releases the client's wasm memory and its channel to other tabs; the client is not usable afterwards. */
  free() {
    if (this.#core === FREED) return;
    this.#channel?.close();
    if (this.#onStorage) globalThis.removeEventListener("storage", this.#onStorage);
    this.#listeners.clear();
    // A refresh under way still stores its answer (#refreshNow), then frees the core.
    const core = this.#core;
    this.#core = FREED;
    if (this.#refreshing > 0) this.#freeing = core;
    else freeCore(core);
    // Its sign-ins in popups can no longer complete: closed, they end (ERR_INVALID_STATE).
    for (const popup of this.#popups) if (!popup.closed) popup.close();
  }

  /**
   * Calls `listener` with `{ type: "signedIn", claims }` or `{ type: "signedOut" }` when another
   * tab of this origin signs in, steps up or signs out; returns the function that stops it.
   */
  onChange(listener) {
    if (this.#core === FREED) throw freed();
    if (typeof listener !== "function") throw ClientCore.failure(NOT_A_FUNCTION, "listener");
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The authorization URL for a sign-in, with its transaction stored (for custom navigation). */
  async authorizationUrl(options) {
    return this.#start(this.#core.signIn(options, REDIRECT));
  }

  /**
   * Signs in: navigates to the provider, or with `{ popup }` signs in in a popup and resolves to
   * the verified claims, the page left as it was.
   */
  async signIn(options) {
    const [rest, popup] = withoutPopup(options);
    const kind = ClientCore.popupKind(popup);
    return this.#show(this.#core.signIn(rest, kind), kind, popup);
  }

  /**
   * Signs in again to meet `requirement` (what to ask for comes from the current session); with
   * `{ popup }` in a popup, resolving to the verified claims.
   */
  async stepUp(requirement, options) {
    const [rest, popup] = withoutPopup(options);
    const kind = ClientCore.popupKind(popup);
    return this.#show(this.#core.stepUp(requirement, rest, this.#tokens(), kind), kind, popup);
  }

  /**
   * Completes a sign-in on the redirect page; resolves to the verified claims and where to go.
   * In a popup of this origin's page, the answer goes to that page, which completes the sign-in,
   * and the popup closes (the promise never settles).
   */
  async handleCallback(url) {
    const page = url ?? location().href;
    const message = this.#core.popupCallback(page, openerHere());
    if (message !== undefined) {
      // Only a page of this origin may read it.
      /** @type {Window} */ (globalThis.opener).postMessage(message, location().origin);
      globalThis.close();
      return new Promise(() => {});
    }
    const key = this.#core.callbackKey(page);
    const signOuts = this.#page.signOuts;
    // Another issuer's sign-in (a client with the same client id) is left for its own client.
    this.#core.ownsTransaction(this.#transactions().getItem(key));
    let took = false;
    try {
      // One use only: the transaction goes whatever happens next.
      const transactions = this.#transactions();
      const tx = transactions.getItem(key);
      transactions.removeItem(key);
      took = tx !== null;
      const done = await this.#complete(page, tx, signOuts);
      // A call saved for this very sign-in is now ready for `resume()`; one saved for another
      // (a step-up abandoned at the provider) is dropped, never replayed after this one; another
      // client's (one client id, another issuer or API) is left for it.
      const saved = this.#core.pendingAfterSignIn(transactions.getItem(this.#pendingKey), /** @type {string} */ (tx));
      if (saved === null) transactions.removeItem(this.#pendingKey);
      else if (saved !== undefined) write(transactions, this.#pendingKey, saved, "the call saved for the step-up");
      return done;
    } catch (e) {
      // The call saved for a step-up that failed goes; a callback that took no transaction
      // (another one, run at once, took it) leaves it.
      const transactions = this.#transactions();
      if (this.#core.callbackFailed(transactions.getItem(this.#pendingKey), took)) transactions.removeItem(this.#pendingKey);
      throw e;
    }
  }

  /** Whether the session meets `requirement` (default: any sign-in), and for how long. */
  session(requirement) {
    return JSON.parse(this.#core.session(requirement, this.#tokens()));
  }

  /** The weakest held access token that meets `requirement`, or `undefined`. */
  accessToken(requirement) {
    return this.#core.accessToken(requirement, this.#tokens());
  }

  /**
   * Renews the tokens of the weakest held sign-in that meets `requirement` (default: any) with
   * its refresh token, and tells whether the provider came back with a weaker authentication.
   * `fetch` does this by itself when a token it needs has expired.
   */
  async refresh(requirement) {
    const result = await this.#refresh(this.#core.refreshable(requirement, this.#tokens()));
    // The provider refused the refresh token: only a sign-in helps.
    if (result === null) throw this.#core.stepUpRequired(requirement);
    return result;
  }

  /**
   * `fetch` with the weakest held access token. A step-up challenge (`401` or `403`: RFC 9470,
   * Okta, Entra, Auth0) is retried once with a held token that meets it; otherwise it throws
   * `ERR_STEP_UP_REQUIRED`, or with `{ stepUp: true }` saves the call and signs in for exactly
   * what the API asked (an Entra claims challenge's claims request sent back as `claims`), or
   * with `{ stepUp: "popup" }` signs in for it in a popup and replays the call once, here. A
   * call to an origin the client sends no tokens to is refused before anything is sent.
   */
  async fetch(input, init, options) {
    const stepUp = this.#core.fetchOptions(options);
    const call = request(input, init);
    // Tokens only go where this client may send them, judged on the URL fetch() will call.
    this.#core.tokenMayGo(call.url, globalThis.location?.href);
    // A sign-out while the call is under way (here, or heard from another tab) leaves its answer
    // as it came: never retried with, or stepped up for, whoever signs in next. A step-up made
    // for it starts at the origin's sign-out mark of now, so one in a tab this one does not hear
    // cancels it too.
    const signOuts = this.#page.signOuts;
    const mark = stepUp === NO_STEP_UP ? undefined : this.#signOutMark(true);
    // Whose call it is: a step-up made for it is that user's, whatever the store holds by then.
    const atCall = this.#tokens();
    const first = await this.#tokenFor(undefined, atCall);
    const spare = call.clone();
    const response = await send(call, first);
    // Freed meanwhile: the call was made, and its answer is the app's.
    if (this.#core === FREED) return response;
    const challenged = challenge(this.#core, response, call, this.#page.signOuts !== signOuts, atCall);
    if (challenged === undefined) return response;
    const [requirement, claims] = challenged;
    // The token for a retry may need a refresh: a sign-out meanwhile (whose refresh then ends
    // in ERR_STEP_UP_REQUIRED, or finds the next sign-in's set) leaves the answer as it came too.
    const better = await this.#tokenFor(requirement, atCall).catch((e) => {
      if (this.#page.signOuts === signOuts) throw e;
    });
    if (this.#page.signOuts !== signOuts) return response;
    // Retried only with a token of the user who made the call.
    if (this.#core.retry(requirement, first, better, stepUp !== NO_STEP_UP, atCall, this.#tokens())) return send(spare, better);
    const plan = this.#core.fetchStepUp(requirement, options, this.#tokens(), claims, atCall);
    if (stepUp === POPUP_STEP_UP) {
      // Opened as soon as the API's answer says so: a click that started this call still
      // counts for a few seconds (transient activation).
      await this.#inPopup(plan, openPopup(`${this.#prefix}popup`), signOuts, mark);
      return this.#replay(spare, requirement, atCall, signOuts, response);
    }
    // The body as resume() will send it, refused before anything starts when it cannot be kept.
    const body = ClientCore.savedBody(new Uint8Array(await spare.arrayBuffer()));
    // The sign-in first: a step-up that cannot start (a challenge the core refuses, no
    // discovery) throws with no call saved, so no later sign-in replays a call the app was told
    // failed.
    const begun = await this.#begin(plan, signOuts, mark);
    // Signed out while the step-up was starting: nothing is saved, and the page stays.
    if (begun === undefined) return response;
    const [url, tx, key] = begun;
    const headers = [];
    for (const [name, value] of spare.headers) headers.push(name, value);
    // How fetch() sends it, so that resume() sends the same call: from the callback page, a
    // default referrer would be that page's URL (its code and state), not the one the call was
    // made from.
    // Under the document's own policy (`referrerPolicy` ""), which the replay's page may not
    // share, none: never more than the call sent.
    const referrer = spare.referrerPolicy === "" ? "" : spare.referrer === "about:client" ? globalThis.location?.href ?? "" : spare.referrer;
    const modes = ["credentials", spare.credentials, "redirect", spare.redirect, "mode", spare.mode, "cache", spare.cache,
      "referrer", referrer, "referrerPolicy", spare.referrerPolicy, "integrity", spare.integrity];
    try {
      const saved = this.#core.pending(spare.url, spare.method, headers, modes, body, requirement, tx);
      write(this.#transactions(), this.#pendingKey, saved, "the call saved for the step-up");
    } catch (e) {
      // Nothing is left behind: the sign-in started for the call goes with it.
      this.#transactions().removeItem(key);
      throw e;
    }
    navigate(url);
    // The page is going away; nothing will read this promise's outcome.
    return new Promise(() => {});
  }

  /**
   * After a step-up started by `fetch(…, { stepUp: true })` and `handleCallback`: replays the
   * saved call once and resolves to its `Response`, or `null` when none is waiting. Still
   * challenged, it throws `ERR_STEP_UP_REQUIRED` and never navigates.
   */
  async resume() {
    const store = this.#transactions();
    const saved = this.#core.resume(store.getItem(this.#pendingKey), globalThis.location?.href, this.#tokens());
    // This client's call is replayed once: gone before the replay. Another client's (one client
    // id, another issuer or API) is left for its own resume().
    if (saved !== undefined) store.removeItem(this.#pendingKey);
    if (!saved) return null;
    const [url, method, pairs, kept, requirement, modes] = saved;
    const headers = new Headers();
    for (let i = 0; i < pairs.length; i += 2) headers.append(pairs[i], pairs[i + 1]);
    // As bytes: a string body would gain a `Content-Type` the call never had.
    const body = kept === undefined ? undefined : new TextEncoder().encode(kept);
    /** @type {Record<string, unknown>} */
    const init = { method, headers, body };
    for (let i = 0; i < modes.length; i += 2) init[modes[i]] = modes[i + 1];
    // The step-up's user's (its tokens are held: the core checked), and nobody's once a sign-out
    // comes while the replay's token is refreshed: then nothing is sent.
    return this.#replay(request(url, /** @type {RequestInit} */ (init)), requirement, this.#tokens(), this.#page.signOuts, null);
  }

  /**
   * Forgets every token and sign-in under way, at once (before any await); with
   * `{ endSession: true }` then ends the provider's session too (RP-Initiated Logout 1.0): the
   * browser goes to its `end_session_endpoint` with `id_token_hint`, `post_logout_redirect_uri`
   * and `state`, and comes back to `handleSignOutCallback`.
   */
  async signOut(options) {
    const endSession = this.#core.signOutOptions(options);
    this.#signedOut();
    // Every key is tried, and the other tabs are told, even when a store fails: its error comes
    // after.
    let failed;
    let held = null;
    try {
      held = this.#tokens();
    } catch (e) {
      failed = e;
    }
    const known = [this.#tokensKey, this.#pendingKey, this.#keptKey, this.#core.signOutKey()];
    for (const store of this.#everyStore()) {
      const keys = store.keys ? store.keys().filter((key) => key.startsWith(this.#prefix)) : known;
      for (const key of keys) {
        try {
          store.removeItem(key);
        } catch (e) {
          failed ??= e;
        }
      }
    }
    // A new mark where every tab reads it: one that is away at the provider now finds it on its
    // return, cancels the sign-in it comes back from and drops what it held.
    this.#signOutMark(true, true);
    this.#channel?.postMessage(this.#core.changeMessage(undefined));
    if (failed !== undefined) throw failed;
    if (!endSession) return;
    await this.#document(METADATA);
    const [url, key, saved] = this.#core.signOut(options, held, globalThis.location?.href);
    write(this.#transactions(), key, saved, "the sign-out under way");
    navigate(url);
  }

  /**
   * The origin's sign-out mark, a random value every sign-out rewrites, in `localStorage` so that
   * every tab reads it: `""` when none is kept, `undefined` without `localStorage`. `create`:
   * make one when none is kept (a sign-in starting); `renew`: a new one (a sign-out).
   * @returns {string | undefined}
   */
  #signOutMark(create, renew = false) {
    try {
      const storage = globalThis.localStorage;
      if (!storage) return undefined;
      let mark = renew ? null : storage.getItem(this.#markKey);
      if (mark === null && create) {
        const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
        mark = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        storage.setItem(this.#markKey, mark);
      }
      return mark ?? "";
    } catch {
      // Storage refused (a sandboxed page, a full quota): the page's own count still holds.
      return undefined;
    }
  }

  /**
   * A sign-out here or in another tab: the sign-ins under way of every client of this page that
   * keeps its state under the same prefix (whose keys the sign-out removed) are cancelled, their
   * popups closed.
   */
  #signedOut() {
    this.#page.signOuts++;
    for (const popup of this.#page.popups) if (!popup.closed) popup.close();
  }

  /** On the `post_logout_redirect_uri` page: checks the provider's `state`; resolves to where to go. */
  async handleSignOutCallback(url) {
    const page = url ?? location().href;
    const store = this.#transactions();
    const key = this.#core.signOutKey();
    const saved = store.getItem(key);
    // One use only.
    store.removeItem(key);
    return { returnTo: this.#core.signedOut(page, saved ?? undefined) };
  }

  #store() {
    const store = this.#storage();
    if (!store) throw ClientCore.failure(FETCH_FAILED, "no sessionStorage: the client runs in a browser page");
    return store;
  }

  /**
   * Where sign-ins and sign-outs under way (state, nonce, PKCE verifier) are kept: this tab's
   * `sessionStorage` whatever `store` holds the tokens (contract section 5; auth0-spa-js keeps
   * its transactions so too), so they never outlive the tab or reach another one; the store
   * where there is none.
   */
  #transactions() {
    return this.#session() ?? this.#store();
  }

  /**
   * Every store this client keeps anything in: the store, and this tab's sessionStorage (the
   * transactions and the saved call) when the store is another; none that the page lacks.
   */
  #stores() {
    return [this.#storage(), this.#storeKind === SESSION ? undefined : this.#session()].filter((store) => store !== undefined);
  }

  /**
   * Every store a client of this id may keep anything in, for a sign-out: this client's, and the
   * page's `localStorage`, where the client of another issuer with this id may keep its tokens
   * (a sign-out by either signs both out; removing them there also tells tabs without
   * `BroadcastChannel`, through `storage` events).
   */
  #everyStore() {
    const stores = this.#stores();
    const local = this.#storeKind === LOCAL ? undefined : storeOf(LOCAL, undefined)();
    return local ? [...stores, local] : stores;
  }

  /** The stored token sets as the core reads them: the text, `null` for none, `false` without storage. */
  #tokens() {
    const store = this.#storage();
    return store ? store.getItem(this.#tokensKey) : false;
  }

  /**
   * Stores the token sets a refresh left (`null` or `undefined`: nothing, its set is gone: signed
   * out, or replaced by a sign-in, meanwhile).
   * @param {string | null | undefined} tokens
   */
  #keep(tokens) {
    if (tokens !== null && tokens !== undefined) write(this.#store(), this.#tokensKey, tokens, "the tokens");
  }

  /**
   * Starts a sign-in the core planned: discovery, then the URL with its transaction stored. A
   * sign-out meanwhile cancels it (`ERR_AUTH_RESPONSE_INVALID`): a sign-out stays a sign-out.
   */
  async #start(plan) {
    const begun = await this.#begin(plan);
    if (begun === undefined) throw ClientCore.failure(CANCELLED, "");
    return begun[0];
  }

  /**
   * `#start`, also handing back the transaction stored (for a call saved for the sign-in), or
   * `undefined`, storing nothing, when a sign-out came since `signOuts` (the page's count) while
   * discovery was fetched. The sign-in starts at the origin's sign-out `mark`, so one in a tab
   * this one does not hear cancels it at its callback. Both default to now, before any wait.
   * @param {string} plan
   * @param {number} [signOuts]
   * @param {string | undefined} [mark]
   * @returns {Promise<[string, string, string] | undefined>}
   */
  async #begin(plan, signOuts = this.#page.signOuts, mark = this.#signOutMark(true)) {
    await this.#document(METADATA);
    if (this.#page.signOuts !== signOuts) return undefined;
    const [url, key, tx] = this.#core.start(plan, globalThis.location?.href, mark);
    write(this.#transactions(), key, tx, "the sign-in under way");
    return [url, tx, key];
  }

  /**
   * Completes the sign-in of transaction `tx` (as stored; `null`: none) with the authorization
   * response at `page`: the code exchange, the ID token verified, the tokens stored, the other
   * tabs told.
   */
  async #complete(page, tx, signOuts) {
    await this.#document(METADATA);
    const [endpoint, body] = this.#core.codeRequest(page, tx);
    const [status, text] = await this.#post(endpoint, body);
    const [idToken, call, set] = this.#core.exchanged(status, text, /** @type {string} */ (tx));
    const claims = await this.#verify(idToken, call, false);
    const verified = JSON.stringify(claims);
    const cancelled = this.#page.signOuts !== signOuts;
    const mark = this.#signOutMark(false);
    const [tokens, returnTo] = this.#core.signedIn(set, verified, /** @type {string} */ (tx), this.#tokens(), cancelled, mark);
    write(this.#store(), this.#tokensKey, tokens, "the tokens");
    // The mark the tokens were kept at: a later sign-out in a tab this one does not hear drops them.
    if (mark) write(this.#store(), this.#keptKey, mark, "the sign-out mark of the tokens");
    this.#channel?.postMessage(this.#core.changeMessage(verified));
    return { claims, returnTo };
  }

  /**
   * Shows sign-in `plan` as `kind` says: the page goes to the provider, or it signs in in a popup
   * (opened here, before any await, or the caller's `popup`) and resolves to the claims.
   */
  #show(plan, kind, popup) {
    if (kind === REDIRECT) return this.#start(plan).then(navigate);
    return this.#inPopup(plan, kind === OPEN ? openPopup(`${this.#prefix}popup`) : popup);
  }

  /**
   * Signs in for `plan` in `popup` (`null`: the browser blocked it): navigates it to the
   * provider, waits for its answer, and completes the sign-in here; resolves to the verified
   * claims. The popup is closed whatever happens. A sign-out since `signOuts` (the page's count)
   * or since the origin's sign-out `mark` (both default to now) cancels it.
   * @param {string} plan
   * @param {Window | null} popup
   * @param {number} [signOuts]
   * @param {string | undefined} [mark]
   */
  async #inPopup(plan, popup, signOuts = this.#page.signOuts, mark = this.#signOutMark(true)) {
    if (!popup) throw this.#core.popupFailed(plan, BLOCKED);
    this.#page.popups.add(popup);
    this.#popups.add(popup);
    try {
      await this.#document(METADATA);
      const [url, state, tx, timeout, poll] = this.#core.startPopup(plan, globalThis.location?.href, mark);
      popup.location.href = url;
      const response = await this.#popupAnswer(popup, plan, state, timeout, poll);
      const { claims } = await this.#complete(response, tx, signOuts);
      return { claims };
    } finally {
      this.#page.popups.delete(popup);
      this.#popups.delete(popup);
      if (!popup.closed) popup.close();
    }
  }

  /**
   * The authorization response `popup` answers the sign-in that sent `state` with (its URL), as the
   * core reads each message; rejects when the popup is closed first or `timeout` (ms) passes.
   * @returns {Promise<string>}
   */
  #popupAnswer(popup, plan, state, timeout, poll) {
    return new Promise((resolve, reject) => {
      let closedBefore = false;
      const settle = (done) => {
        clearInterval(watch);
        clearTimeout(limit);
        globalThis.removeEventListener("message", heard);
        done();
      };
      // Whatever building the error throws (a client freed meanwhile) is the error.
      const fail = (why) => {
        try {
          reject(this.#core.popupFailed(plan, why));
        } catch (e) {
          reject(e);
        }
      };
      /** @param {MessageEvent} event */
      const heard = (event) => {
        let url;
        try {
          url = this.#core.popupMessage(state, event.origin, event.source === popup, event.data);
        } catch (e) {
          settle(() => reject(e));
          return;
        }
        if (url !== undefined) settle(() => resolve(url));
      };
      // A popup that posts its answer closes itself, and the message may reach this page after
      // `closed` does: closed counts once it was seen closed at the look before too.
      const watch = setInterval(() => {
        if (!popup.closed) return;
        if (closedBefore) settle(() => fail(CLOSED));
        closedBefore = true;
      }, poll);
      const limit = setTimeout(() => settle(() => fail(TIMED_OUT)), timeout);
      globalThis.addEventListener("message", heard);
    });
  }

  /**
   * Sends a call again once, after a step-up, with the token that meets `requirement` of the
   * user whose tokens `atCall` holds; still challenged, it throws `ERR_STEP_UP_REQUIRED` (never a
   * loop). A sign-out since `signOuts` (the page's count) while its token is refreshed sends
   * nothing: `signedOut` comes back instead.
   * @param {Request} call
   * @param {unknown} requirement
   * @param {string | null | false} atCall
   * @param {number} signOuts
   * @param {Response | null} signedOut
   */
  async #replay(call, requirement, atCall, signOuts, signedOut) {
    const token = await this.#tokenFor(requirement, atCall).catch((e) => {
      if (this.#page.signOuts === signOuts) throw e;
    });
    if (this.#page.signOuts !== signOuts) return signedOut;
    if (token === undefined) throw this.#core.stepUpRequired(requirement);
    const response = await send(call, token);
    if (this.#core === FREED) return response;
    const still = challenge(this.#core, response, call, false);
    if (still !== undefined) throw this.#core.stepUpRequired(still[0]);
    return response;
  }

  /**
   * Another tab's change, as the core read it (`undefined`: none): the keys it says to remove
   * here, the sign-ins under way cancelled when it signs out, then each listener with the event.
   * @param {[string, string[], boolean] | undefined} change
   */
  #heard(change) {
    if (change === undefined) return;
    const [event, remove, signsOut] = change;
    // Counted first: a store that fails to remove a key must not leave a call under way, or a
    // sign-in, believing no one signed out.
    if (signsOut) this.#signedOut();
    for (const store of this.#stores()) {
      for (const key of remove) {
        try {
          store.removeItem(key);
        } catch (e) {
          globalThis.reportError?.(e);
        }
      }
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(JSON.parse(event));
      } catch (e) {
        // One listener's failure neither stops the others nor breaks the channel.
        globalThis.reportError?.(e);
      }
    }
  }

  /**
   * The access token for a call needing `requirement`, refreshing first when the core says so;
   * with `atCall` (the sets held when the call was made), only a token of that call's user.
   * @param {unknown} requirement
   * @param {string | null | false} [atCall]
   */
  async #tokenFor(requirement, atCall = undefined) {
    const token = this.#core.tokenFor(requirement, this.#tokens());
    if (Array.isArray(token)) await this.#refresh(token[0]);
    else if (atCall === undefined || token === undefined) return token;
    return this.#core.accessToken(requirement, this.#tokens(), atCall);
  }

  /**
   * Refreshes the stored set `old`: the `RefreshResult`, or `null` when the token was refused.
   * One refresh at a time across the origin's tabs (Web Locks, where present): once the lock is
   * held the store is read again, and a refresh another tab made meanwhile is used, its spent
   * refresh token never sent twice.
   */
  async #refresh(old) {
    const locks = globalThis.navigator?.locks;
    if (!locks) return this.#refreshNow(old);
    return locks.request(`${this.#prefix}refresh`, async () => {
      let done = this.#core.refreshedElsewhere(old, this.#tokens());
      // Another tab's write to a shared store can reach this tab after its lock did: a tab that
      // spent a refresh token holds a lock named after it for as long as it lives, so seeing that
      // lock means "wait for the store", never "refresh again" (the token is spent).
      const spent = await spentLock(this.#prefix, old);
      if (done === undefined && spent !== undefined && (await locks.query()).held?.some((l) => l.name === spent)) {
        for (let waited = 0; done === undefined && waited < SPENT_WAIT; waited += SPENT_POLL) {
          await new Promise((resolve) => setTimeout(resolve, SPENT_POLL));
          done = this.#core.refreshedElsewhere(old, this.#tokens());
        }
      }
      if (done !== undefined) {
        if (typeof done !== "string") throw done;
        return JSON.parse(done);
      }
      if (spent !== undefined) locks.request(spent, () => new Promise(() => {})).catch(() => {});
      return this.#refreshNow(old);
    });
  }

  async #refreshNow(old) {
    await this.#document(METADATA);
    // Once the provider answers, the old refresh token is spent (with rotation, sent again it
    // revokes the grant): the answer is stored even if free() comes meanwhile, with this core,
    // which free() then leaves to the last refresh under way.
    const core = this.#core;
    this.#refreshing++;
    try {
      const [endpoint, body] = core.refreshRequest(old);
      const [status, text] = await this.#post(endpoint, body);
      const renewal = core.refreshAnswer(old, status, text);
      if (renewal === null) {
        this.#keep(core.spent(old, this.#tokens()));
        return null;
      }
      const [idToken, call, set] = renewal;
      let claims;
      if (idToken !== null) {
        try {
          claims = JSON.stringify(await this.#verify(idToken, call, true, core));
        } catch (e) {
          this.#keep(core.spent(old, this.#tokens()));
          throw e;
        }
      }
      const [tokens, outcome] = core.refreshed(old, claims, set, this.#tokens());
      this.#keep(tokens);
      if (typeof outcome !== "string") throw outcome;
      return JSON.parse(outcome);
    } finally {
      if (--this.#refreshing === 0 && this.#freeing !== undefined) {
        freeCore(this.#freeing);
        this.#freeing = undefined;
      }
    }
  }

  /**
   * Verifies an ID token with the provider's key set; a token naming a key the set lacks asks
   * the core for the set again (key rotation: at most once per cooldown).
   */
  async #verify(token, call, refreshed, core = this.#core) {
    await this.#document(KEYS, false, core);
    try {
      return await this.#verifier(refreshed, core).verifyIdToken(token, call);
    } catch (e) {
      if (/** @type {any} */ (e)?.code !== "ERR_JWKS_NO_MATCHING_KEY") throw e;
    }
    await this.#document(KEYS, true, core);
    return this.#verifier(refreshed, core).verifyIdToken(token, call);
  }

  #verifier(refreshed, core = this.#core) {
    const at = refreshed ? 1 : 0;
    return (this.#verifiers[at] ??= verifierOver(core.verifier(refreshed)));
  }

  /**
   * Has document `which` held, as the core says: the held one, the fetch under way, or a new
   * fetch (one at a time: every other call awaits it). Throws why none is held.
   */
  async #document(which, refetch = false, core = this.#core) {
    const url = core.document(which, refetch, this.#flights[which] !== undefined);
    if (url === undefined) return;
    if (url !== "") {
      this.#flights[which] = this.#get(url)
        .then(([status, text]) => {
          if (this.#live(core).fetched(which, url, status, text) && which === KEYS) this.#verifiers = [undefined, undefined];
        })
        .finally(() => {
          this.#flights[which] = undefined;
        });
    }
    await this.#flights[which];
    this.#live(core).held(which);
  }

  /** `core` while it is not freed (this client's, or the one a refresh under way keeps), else the freed core. */
  #live(core) {
    return core === this.#core || core === this.#freeing ? core : FREED;
  }

  #get(url) {
    return this.#ask(url, { headers: { accept: "application/json" } });
  }

  #post(url, body) {
    const headers = { accept: "application/json", "content-type": "application/x-www-form-urlencoded" };
    return this.#ask(url, { method: "POST", headers, body });
  }

  /**
   * A request to the provider: `[status, body]`, or `[undefined, why]` when no answer came. It
   * never follows a redirect — a provider's endpoints answer directly; "manual" (a 3xx then fails
   * the status check) because edge runtimes do not implement "error" — gives up after the core's
   * timeout, and reads no more of the answer than the core's bound.
   * @returns {Promise<[number | undefined, string]>}
   */
  async #ask(url, init) {
    try {
      const signal = AbortSignal.timeout?.(this.#timeout);
      const response = await fetch(url, { ...init, redirect: "manual", signal });
      let body;
      try {
        body = await boundedText(response, this.#maxAnswer);
      } catch (e) {
        // The status stays in the error: an oversized error page is still the provider's error.
        return [undefined, `status ${response.status}, ${why(e)}`];
      }
      return [response.status, body];
    } catch (e) {
      return [undefined, why(e)];
    }
  }
}
